package config

import "testing"

// The [env] patterns are checked with the syntax envcollect matches them with.
func TestValidPattern(t *testing.T) {
	tests := []struct {
		pattern string
		wantErr bool
	}{
		{pattern: "DEPLOY_*"},
		{pattern: "*"},
		{pattern: "X?"},
		{pattern: "APP_[A-Z]*"},
		{pattern: "EXACT_NAME"},
		{pattern: "[", wantErr: true},
		{pattern: "DEPLOY_[*", wantErr: true},
		{pattern: `\`, wantErr: true},
		{pattern: "[a-]", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			err := validPattern(tt.pattern)
			if (err != nil) != tt.wantErr {
				t.Errorf("got error %v, want error %v", err, tt.wantErr)
			}
		})
	}
}
