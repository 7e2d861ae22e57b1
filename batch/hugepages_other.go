//go:build !linux

package batch

// adviseHugePages is a no-op where transparent huge pages are not offered.
func adviseHugePages[T any](s []T) {}
