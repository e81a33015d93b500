package notify_test

import (
	"fmt"

	"github.com/jobnotify/jobnotify/notify"
)

// Fields given as --field build a nested payload; with GET it travels as a
// query string with dotted keys.
func ExampleQuery() {
	p := map[string]any{}
	for _, arg := range []string{"stage=deploy", "build.number:=42", "build.ok:=true", `tags:=["a b", "c&d"]`} {
		f, err := notify.ParseField(arg)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%q -> %q = %v\n", arg, f.Path, f.Value)
		m := p
		for _, k := range f.Path[:len(f.Path)-1] {
			if _, ok := m[k].(map[string]any); !ok {
				m[k] = map[string]any{}
			}
			m = m[k].(map[string]any)
		}
		m[f.Path[len(f.Path)-1]] = f.Value
	}
	fmt.Println(notify.Query(p))
	// Output:
	// "stage=deploy" -> ["stage"] = deploy
	// "build.number:=42" -> ["build" "number"] = 42
	// "build.ok:=true" -> ["build" "ok"] = true
	// "tags:=[\"a b\", \"c&d\"]" -> ["tags"] = [a b c&d]
	// build.number=42&build.ok=true&stage=deploy&tags.0=a+b&tags.1=c%26d
}

func ExampleParseField() {
	for _, arg := range []string{"a.b.c=x", `a\.b=x`, "n:=12345678901234567890", "url=https://x/?a=b", "oops"} {
		f, err := notify.ParseField(arg)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Printf("%q %v\n", f.Path, f.Value)
	}
	// Output:
	// ["a" "b" "c"] x
	// ["a.b"] x
	// ["n"] 12345678901234567890
	// ["url"] https://x/?a=b
	// error: --field: an argument without =: want KEY=VALUE or KEY:=JSON
}
