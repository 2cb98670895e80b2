/* SPDX-License-Identifier: Apache-2.0 */
/* A TCTI in front of the real one that notes, from the command and
 * response headers, every TPM handle this process gains or gives up
 * (objects, sequences, sessions) in its journal, so that what a killed
 * process held can be flushed by the next one. */
#ifndef TK_TPM_TCTI_JOURNAL_H
#define TK_TPM_TCTI_JOURNAL_H

#include <tss2/tss2_tcti.h>

#include "journal.h"

TSS2_TCTI_CONTEXT *tk_tcti_journal_new(TSS2_TCTI_CONTEXT *inner,
                                       tk_journal *journal);
void tk_tcti_journal_free(TSS2_TCTI_CONTEXT *tcti);

#endif
