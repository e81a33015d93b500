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
# there. They are the release machine's Mozilla roots, from where Debian
# and Ubuntu, Fedora and RHEL, and Alpine and macOS keep the bundle.
for ca in "${SSL_CERT_FILE:-}" /etc/ssl/certs/ca-certificates.crt /etc/pki/tls/certs/ca-bundle.crt /etc/ssl/cert.pem; do
  if [ -n "$ca" ] && [ -s "$ca" ]; then
    cp "$ca" build/ca-certificates.crt
    exit 0
  fi
done
echo "release/files.sh: no CA certificate bundle found for the image: install ca-certificates, or set SSL_CERT_FILE" >&2
exit 1
