#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The module exports OSSL_provider_init and nothing else: any other
# dynamic symbol could be replaced by a host program's (or replace one).
set -euo pipefail
syms=$(nm -D --defined-only "$TK_MODULE" | awk '{print $3}' | sort)
if [ "$syms" != "OSSL_provider_init" ]; then
    echo "tpmkit.so exports more than OSSL_provider_init:" >&2
    echo "$syms" | grep -vx OSSL_provider_init | head -20 >&2
    echo "($(echo "$syms" | wc -l) symbols in all)" >&2
    exit 1
fi
echo "tpmkit.so exports only OSSL_provider_init"
