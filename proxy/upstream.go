package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

// classify names why an upstream exchange failed and the status the client gets: 504 when the upstream did
// not answer in time, 502 for everything else (refused, DNS, TLS, reset, a cut-off body).
func classify(err error, timeout time.Duration) (int, string) {
	var (
		dnsErr  *net.DNSError
		certErr *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
		invalid x509.CertificateInvalidError
		record  tls.RecordHeaderError
		alert   tls.AlertError
		netErr  net.Error
	)
	var body *upstreamBodyError
	if errors.As(err, &body) && !errors.Is(err, context.DeadlineExceeded) {
		return http.StatusBadGateway, body.Error()
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "timed out: no complete answer within " + timeout.String()
	case errors.As(err, &dnsErr):
		return http.StatusBadGateway, "DNS lookup failed: " + dnsErr.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return http.StatusBadGateway, "connection refused: " + err.Error()
	case errors.As(err, &certErr), errors.As(err, &unknown), errors.As(err, &host), errors.As(err, &invalid):
		return http.StatusBadGateway, "TLS certificate rejected: " + err.Error()
	case errors.As(err, &record), errors.As(err, &alert):
		return http.StatusBadGateway, "TLS handshake failed: " + err.Error()
	case errors.As(err, &netErr) && netErr.Timeout():
		return http.StatusGatewayTimeout, "timed out: " + err.Error()
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return http.StatusBadGateway, "connection reset or closed before a complete answer: " + err.Error()
	}
	return http.StatusBadGateway, "request failed: " + err.Error()
}
