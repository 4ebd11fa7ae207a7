package main

// The container image (Containerfile) is built FROM scratch and has no CA certificates; check and proxy talk
// to live APIs over HTTPS. This bundle of Mozilla's roots is used only where the system has none: a host's own
// certificates (or SSL_CERT_FILE, SSL_CERT_DIR) still win.
import _ "golang.org/x/crypto/x509roots/fallback"
