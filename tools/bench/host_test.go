package main

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseLoadavg(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    loadavg
		wantErr bool
	}{
		{name: "proc format", in: "6.17 5.23 6.19 3/412 12345\n", want: loadavg{6.17, 5.23, 6.19}},
		{name: "too short", in: "1.0 2.0", wantErr: true},
		{name: "not a number", in: "x 2.0 3.0 1/2 3", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLoadavg(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseLoadavg(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseLoadavg(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestParseHostBusy(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    float64
		wantErr bool
	}{
		// user nice system idle iowait irq softirq steal: idle and iowait are not busy.
		{name: "counts user nice system irq softirq steal", in: "cpu  100 20 30 9999 888 4 5 6 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n", want: 1.65},
		{name: "per-cpu line first", in: "cpu0 1 2 3 4 5 6 7 8\n", wantErr: true},
		{name: "short", in: "cpu 1 2 3\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseHostBusy(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseHostBusy error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseHostBusy mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseMachineFiles(t *testing.T) {
	tests := []struct {
		name      string
		cpuinfo   string
		meminfo   string
		wantModel string
		wantMem   int64
		wantErr   bool
	}{
		{
			name:      "first model name, MemTotal in kB",
			cpuinfo:   "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\nprocessor\t: 1\nmodel name\t: other\n",
			meminfo:   "MemTotal:       24631212 kB\nMemFree:        1 kB\n",
			wantModel: "AMD EPYC 7B13",
			wantMem:   24631212 * 1024,
		},
		{name: "nothing known", cpuinfo: "processor: 0\n", meminfo: "MemFree: 1 kB\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseCPUModel(tt.cpuinfo); got != tt.wantModel {
				t.Errorf("parseCPUModel = %q, want %q", got, tt.wantModel)
			}
			got, err := parseMemTotal(tt.meminfo)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseMemTotal error = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.wantMem {
				t.Errorf("parseMemTotal = %d, want %d", got, tt.wantMem)
			}
		})
	}
}
