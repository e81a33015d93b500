package input

import "syscall"

// madvHugepage is MADV_HUGEPAGE, which package syscall does not name.
const madvHugepage = 14

// buffer returns a buffer of length 0 and capacity n for a file's text,
// and free, which gives it back when the text is not kept (an error, or a
// file that outgrew it). One of several MiB is memory of its own, asked
// for in huge pages (2 MiB) where the kernel gives them to who asks, as
// most distributions set it up (transparent_hugepage=madvise or always):
// it fills with one fault every 2 MiB instead of every 4 KiB, about half
// the time of reading a 10 MiB --body. The Go heap does not ask for them.
// A text that is kept keeps its memory as long as the process lives: it
// goes into the payload as it is.
func buffer(n int) (b []byte, free func()) {
	if n < hugeMin {
		return make([]byte, 0, n), func() {}
	}
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE|syscall.MAP_ANON)
	if err != nil {
		return make([]byte, 0, n), func() {}
	}
	_ = syscall.Madvise(b, madvHugepage) // refused (THP off): 4 KiB pages, as the heap's
	return b[:0], func() { _ = syscall.Munmap(b) }
}
