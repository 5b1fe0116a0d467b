// SPDX-License-Identifier: MIT
//
// The Go reference for kgo_bench.c: the same two workloads with goroutines
// and context.  Prints "tasks_per_second cancel_microseconds" (medians).
package main

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

const (
	nTasks   = 1000000
	nBlocked = 1000
	rounds   = 5
)

func spawn() float64 {
	var wg sync.WaitGroup
	var sum int64
	t0 := time.Now()
	for i := 0; i < nTasks; i++ {
		wg.Add(1)
		go func() {
			atomic.AddInt64(&sum, 1)
			wg.Done()
		}()
	}
	wg.Wait()
	return nTasks / time.Since(t0).Seconds()
}

func cancel() float64 {
	var started, finished sync.WaitGroup
	root, cancelRoot := context.WithCancel(context.Background())
	started.Add(nBlocked)
	finished.Add(nBlocked)
	for i := 0; i < nBlocked; i++ {
		c, cancelC := context.WithCancel(root)
		go func() {
			defer cancelC()
			started.Done()
			<-c.Done()
			finished.Done()
		}()
	}
	started.Wait()
	t0 := time.Now()
	cancelRoot()
	finished.Wait()
	return float64(time.Since(t0).Microseconds())
}

func median(fn func() float64) float64 {
	v := make([]float64, rounds)
	for i := range v {
		v[i] = fn()
	}
	sort.Float64s(v)
	return v[rounds/2]
}

func main() {
	runtime.GOMAXPROCS(2)
	fmt.Printf("%.0f %.0f\n", median(spawn), median(cancel))
}
