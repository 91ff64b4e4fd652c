// Command flooder is the attacker of the socket flood tests and benchmark:
// it opens n idle connections to a Unix socket and sends nothing. With
// -persist it reconnects every connection the engine closes. It prints
// "ready" once each of the n has connected, and "opened N" when stdin
// closes, then exits.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	sock := flag.String("socket", "", "the engine's socket")
	n := flag.Int("n", 5000, "connections to hold")
	persist := flag.Bool("persist", false, "reconnect every connection the engine closes")
	flag.Parse()
	var opened atomic.Int64
	stop := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(stop) }()
	var wg sync.WaitGroup
	first := make(chan struct{}, *n)
	for i := 0; i < *n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			once := false
			for {
				select {
				case <-stop:
					return
				default:
				}
				c, err := net.Dial("unix", *sock)
				if err != nil {
					time.Sleep(time.Millisecond)
					continue
				}
				opened.Add(1)
				if !once {
					once = true
					first <- struct{}{}
				}
				done := make(chan struct{})
				go func() {
					select {
					case <-stop:
					case <-done:
					}
					c.Close()
				}()
				var b [1]byte
				_, _ = c.Read(b[:]) // idle until the engine closes it
				close(done)
				if !*persist {
					<-stop
					return
				}
			}
		}()
	}
	for i := 0; i < *n; i++ {
		<-first
	}
	fmt.Printf("opened %d\nready\n", opened.Load())
	<-stop
	wg.Wait()
	fmt.Printf("opened %d\n", opened.Load())
}
