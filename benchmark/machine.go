package benchmark

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"syscall"
	"time"
)

// A virtual machine's host may back the guest's memory only as the guest first writes
// it. On this project's VM, fresh from boot, first writes cost 2.7 s a GiB of system
// time (writing 18 GiB once took 48.7 s); after that, whichever process wrote them,
// 0.40-0.67 s. Every scenario allocates: the 50M-trade fold took 5.07 s in the bench on
// the VM fresh from boot and 3.02-3.17 s once its memory had been written, and ingest,
// 0.62-0.69M trades/s in the sessions before (each on a VM fresh from boot) against
// 1.01-1.15M. The bench reports what fresh memory costs, so that its figures are read
// with the machine's state, and can write memory once before measuring (TouchMemory).

// freshMemoryProbe is how much memory freshMemoryCost writes: enough to average over
// many pages, little enough to take under half a second on a VM fresh from boot.
const freshMemoryProbe = 128 << 20

// freshMemoryCost measures the seconds a GiB that first writes to fresh anonymous
// memory cost the bench's process now.
func freshMemoryCost() (Result, error) {
	mem, err := syscall.Mmap(-1, 0, freshMemoryProbe, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return Result{}, fmt.Errorf("map %d MiB to measure fresh memory: %w", freshMemoryProbe>>20, err)
	}
	defer syscall.Munmap(mem)
	start := time.Now()
	writePages(mem)
	perGiB := since(start) * (1 << 30) / freshMemoryProbe
	return Result{Scenario: "machine: first writes to fresh memory", Value: perGiB, Unit: "s/GiB", Target: "-",
		Note: fmt.Sprintf("measured on %d MiB before the scenarios; on a VM, memory the guest has not written since boot can cost several times more (2.7 against 0.4-0.7 s/GiB on this project's VM) and slows every scenario: `autonews bench --touch-memory GiB` writes memory once first", freshMemoryProbe>>20)}, nil
}

// writePages writes a byte of every page of mem.
func writePages(mem []byte) {
	page := os.Getpagesize()
	for i := 0; i < len(mem); i += page {
		mem[i] = 1
	}
}

// TouchMemory writes gib GiB of fresh memory once and returns it to the system, so that
// a VM's host backs it before the scenarios run. It keeps a GiB of the memory the
// system has available, and reports each GiB to progress.
func TouchMemory(gib int, progress io.Writer) error {
	if gib < 0 {
		return fmt.Errorf("touch %d GiB of memory: give a number of GiB, 0 or more", gib)
	}
	available, err := availableMemory()
	if err != nil {
		return err
	}
	if most := available>>30 - 1; int64(gib) > most {
		return fmt.Errorf("touch %d GiB of memory: the system has %d GiB available; ask for at most %d", gib, available>>30, max(0, most))
	}
	start := time.Now()
	var mapped [][]byte
	defer func() {
		for _, mem := range mapped {
			syscall.Munmap(mem)
		}
	}()
	// All of it stays mapped until the end: unmapped at once, a GiB's pages would be
	// given back for the next.
	for i := range gib {
		mem, err := syscall.Mmap(-1, 0, 1<<30, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
		if err != nil {
			return fmt.Errorf("touch memory: map GiB %d: %w", i+1, err)
		}
		mapped = append(mapped, mem)
		gibStart := time.Now()
		writePages(mem)
		fmt.Fprintf(progress, "touched %d of %d GiB (%.2f s for this one)\n", i+1, gib, since(gibStart))
	}
	fmt.Fprintf(progress, "touched %d GiB in %.1f s\n", gib, since(start))
	return nil
}

// availableMemory reads the memory the system has available, in bytes, from
// /proc/meminfo.
func availableMemory() (int64, error) {
	info, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, fmt.Errorf("read available memory: %w", err)
	}
	return parseMemAvailable(info)
}

// parseMemAvailable reads the MemAvailable line of /proc/meminfo ("MemAvailable: 123 kB").
func parseMemAvailable(info []byte) (int64, error) {
	lines := bufio.NewScanner(bytes.NewReader(info))
	for lines.Scan() {
		fields := bytes.Fields(lines.Bytes())
		if len(fields) == 3 && string(fields[0]) == "MemAvailable:" && string(fields[2]) == "kB" {
			kb, err := strconv.ParseInt(string(fields[1]), 10, 64)
			if err != nil || kb < 0 {
				return 0, fmt.Errorf("read available memory: %q is not a number of kB", fields[1])
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("read available memory: /proc/meminfo has no MemAvailable line")
}

// processCPU returns the CPU time, user and system, the bench's process has used so far:
// the product, its clients and the bench itself. Over a measured window it says how much
// of the machine the work took, a steadier figure than a rate on a machine whose speed
// varies from hour to hour.
func processCPU() (time.Duration, error) {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0, fmt.Errorf("read the process's CPU time: %w", err)
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano()), nil
}
