#!/bin/sh
# The files a release ships beside the binary, made under build/ before
# GoReleaser packs them (its before hook runs this from the project root):
# the shell completions, the man page compressed as packages install it,
# and the CA certificates the container image carries.
set -eu
rm -rf build
mkdir -p build/completions
go build -tags urfave_cli_no_docs -o build/jobnotify-host .
build/jobnotify-host completion bash >build/completions/jobnotify.bash
build/jobnotify-host completion zsh >build/completions/_jobnotify
build/jobnotify-host completion fish >build/completions/jobnotify.fish
rm build/jobnotify-host
gzip -9n <docs/jobnotify.1 >build/jobnotify.1.gz

# The image is FROM scratch: it has no CA certificates unless we put them
# there. They are the release machine's (Debian's and Ubuntu's
# ca-certificates package: Mozilla's roots).
ca=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
if [ ! -s "$ca" ]; then
  echo "release/files.sh: no CA certificates at $ca: install ca-certificates, or set SSL_CERT_FILE" >&2
  exit 1
fi
cp "$ca" build/ca-certificates.crt
