// Command samsa-go-clients drives Go Kafka clients (franz-go's kgo and kadm, IBM/sarama) through
// one scenario against a broker and prints one JSON line per check:
//
//	{"check":"name","ok":true,"detail":"..."}
//
// and a last line {"end":true} (or {"end":true,"aborted":"why"} when a step could not go on).
// The compat tests (compat-tests/test/go-*.test.ts) run each scenario against Samsa and against
// a real Kafka broker and turn every check into an assertion, so both brokers face the same ones.
//
// Usage: samsa-go-clients <scenario> <bootstrap> <topic-prefix>
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"time"
)

type line struct {
	Check   string `json:"check,omitempty"`
	OK      bool   `json:"ok"`
	Detail  string `json:"detail,omitempty"`
	End     bool   `json:"end,omitempty"`
	Aborted string `json:"aborted,omitempty"`
}

// reporter prints checks as they happen, so a run killed by its timeout still shows how far it got.
type reporter struct {
	enc *json.Encoder
}

func (r *reporter) check(name string, ok bool, format string, args ...any) bool {
	_ = r.enc.Encode(line{Check: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
	return ok
}

// equal reports a check that got == want, with both in the detail.
func equal[T comparable](r *reporter, name string, got, want T) bool {
	return r.check(name, got == want, "got %v, want %v", got, want)
}

// abort ends a scenario that cannot go on: the tests fail on it.
type abort struct{ why string }

func (r *reporter) must(err error, step string) {
	if err != nil {
		panic(abort{fmt.Sprintf("%s: %v", step, err)})
	}
}

type scenario func(ctx context.Context, r *reporter, bootstrap, prefix string)

var scenarios = map[string]scenario{
	"franz-produce-consume": franzProduceConsume,
	"franz-group-classic":   func(ctx context.Context, r *reporter, b, p string) { franzGroup(ctx, r, b, p, false) },
	"franz-group-consumer":  func(ctx context.Context, r *reporter, b, p string) { franzGroup(ctx, r, b, p, true) },
	"franz-admin":           franzAdmin,
	"sarama-produce":        saramaProduce,
	"sarama-group":          saramaGroup,
}

func main() {
	if len(os.Args) != 4 {
		names := make([]string, 0, len(scenarios))
		for name := range scenarios {
			names = append(names, name)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: %s <scenario> <bootstrap> <topic-prefix>\nscenarios: %v\n", os.Args[0], names)
		os.Exit(2)
	}
	run, ok := scenarios[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "unknown scenario %q\n", os.Args[1])
		os.Exit(2)
	}
	r := &reporter{enc: json.NewEncoder(os.Stdout)}
	// Each scenario finishes in seconds; the deadline turns a hang into a failed check.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	end := line{End: true, OK: true}
	func() {
		defer func() {
			if v := recover(); v != nil {
				a, isAbort := v.(abort)
				if !isAbort {
					panic(v)
				}
				end.OK = false
				end.Aborted = a.why
			}
		}()
		run(ctx, r, os.Args[2], os.Args[3])
	}()
	_ = r.enc.Encode(end)
}
