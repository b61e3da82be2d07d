package safefile

import (
	"fmt"
	"io"
	"os"
	"syscall"
)

// Read returns the contents of path, a regular file of at most max bytes.
func Read(path string, max int64) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", st.Mode().Type())
	}
	if st.Size() > max {
		return nil, tooLarge(max)
	}
	// O_NONBLOCK: a file swapped for a FIFO since the Stat still cannot block.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, tooLarge(max)
	}
	return data, nil
}

func tooLarge(max int64) error {
	return fmt.Errorf("larger than %d KiB: is it the right file?", max>>10)
}
