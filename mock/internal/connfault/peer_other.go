//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package connfault

import "net"

// peerClosed cannot tell, here, whether conn's client hung up: a stall lasts its whole limit.
func peerClosed(net.Conn) bool { return false }

// fileLimit is unknown here.
func fileLimit() int { return 0 }
