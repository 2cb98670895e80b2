# SPDX-License-Identifier: Apache-2.0
# tpmkit-aws-sigv4 (issue 4, item 6): AWS Signature Version 4 with the
# secret in the TPM, checked against AWS's published SigV4 test suite
# (aws-sig-v4-test-suite: get-vanilla, get-vanilla-query-order-key-case,
# post-x-www-form-urlencoded), in software and with the TPM key.
. "$TK_SOURCE_DIR/test/psk/psk_lib.sh"

SECRET='wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'
SCOPE='AKIDEXAMPLE/20150830/us-east-1/service/aws4_request'

aws() {
    timeout -k 5 60 "$TK_AWS_SIGV4" --access-key AKIDEXAMPLE --date 20150830T123600Z \
        --region us-east-1 --service service --host example.amazonaws.com "$@"
}

# The TPM key holds "AWS4" + secret; its import is recorded to show the
# secret crosses the TPM interface only encrypted.
run with_pcap "$T/genpkey.pcap" tk genpkey -algorithm TPM2-HMAC \
    -pkeyopt digest:SHA256 -pkeyopt "key:AWS4$SECRET" -out "$T/aws.pem"
assert_ok "genpkey TPM2-HMAC holding AWS4+secret"
SECRET_HEX=$(printf 'AWS4%s' "$SECRET" | od -An -v -tx1 | tr -d ' \n')
capture_commands "$T/genpkey.pcap"
if file_has_bytes "$T/genpkey.pcap" "$SECRET_HEX"; then
    fail "the secret crossed the TPM interface in clear while the key was made"
fi
pass "the secret never crossed the TPM interface in clear while the key was made"

# check WHAT EXPECTED_SIGNATURE SIGNED_HEADERS ARGS...: software and TPM
# print the published Authorization header.
check() {
    local what=$1 want="Authorization: AWS4-HMAC-SHA256 Credential=$SCOPE, SignedHeaders=$3, Signature=$2"
    shift 3
    run aws --secret "$SECRET" "$@"
    assert_ok "$what, software: signs"
    assert_eq "$what, software: the published Authorization header" "$want" \
        "$(grep '^Authorization: ' "$T/out")"
    assert_grep "$what, software: X-Amz-Date header" '^X-Amz-Date: 20150830T123600Z$' "$T/out"
    run aws --key-uri "$T/aws.pem" "$@"
    assert_ok "$what, TPM: signs"
    assert_eq "$what, TPM: the published Authorization header" "$want" \
        "$(grep '^Authorization: ' "$T/out")"
}

check get-vanilla 5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31 \
    'host;x-amz-date'
check get-vanilla-query-order-key-case \
    b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500 \
    'host;x-amz-date' --query 'Param2=value2&Param1=value1'
check post-x-www-form-urlencoded \
    ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a \
    'content-type;host;x-amz-date' --method POST \
    --header 'Content-Type:application/x-www-form-urlencoded' --payload Param1=value1

# The suite's intermediate result: the string to sign of get-vanilla.
run aws --key-uri "$T/aws.pem" --verbose
assert_ok "get-vanilla --verbose"
assert_contains "get-vanilla: the published canonical request hash in the string to sign" \
    bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63 "$T/err"

# One HMAC in the TPM per signature (kDate); the secret never in clear.
run with_pcap "$T/sign.pcap" aws --key-uri "$T/aws.pem"
assert_ok "get-vanilla with the TPM traffic recorded"
capture_commands "$T/sign.pcap"
assert_command_count "one TPM2_HMAC per signature (kDate only)" HMAC 1
if file_has_bytes "$T/sign.pcap" "$SECRET_HEX"; then
    fail "the secret crossed the TPM interface in clear while signing"
fi
pass "the secret never crossed the TPM interface in clear while signing"

# A key holding another secret gives another signature: the TPM's HMAC is
# really what the signature depends on.
run tk genpkey -algorithm TPM2-HMAC -pkeyopt digest:SHA256 \
    -pkeyopt "key:AWS4${SECRET}x" -out "$T/wrong.pem"
assert_ok "genpkey TPM2-HMAC with another secret"
run aws --key-uri "$T/wrong.pem"
assert_ok "signing with the other key"
assert_no_grep "another secret, another signature" \
    'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31' "$T/out"

# Clear failures.
run aws --key-uri "$T/missing.pem"
assert_status "a missing key file fails" 1
assert_contains "... and says which key" "HMAC with the TPM key $T/missing.pem failed" "$T/err"
run aws --secret "$SECRET" --date yesterday
assert_status "a malformed --date is a usage error" 2
assert_contains "... that says the format" 'yyyymmddThhmmssZ' "$T/err"
run env -u OPENSSL_MODULES "$TK_AWS_SIGV4" --key-uri "$T/aws.pem" --access-key A \
    --region r --service s --host h
assert_status "without a findable tpmkit the TPM path fails" 1
assert_contains "... and says how to fix it" 'TPM2-HMAC is not available' "$T/err"
assert_no_tpm_leftovers "the SigV4 signatures"
