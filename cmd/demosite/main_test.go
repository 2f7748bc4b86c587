package main

import (
	"io"
	"net"
	"testing"
)

func TestCheckLoopback(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		public bool
		ok     bool
	}{
		{"127.0.0.1:0", false, true},
		{"127.0.0.2:8080", false, true},
		{"[::1]:0", false, true},
		{"localhost:0", false, true},
		{":8080", false, false},
		{"0.0.0.0:0", false, false},
		{"192.0.2.1:80", false, false},
		{"example.com:80", false, false},
		{"0.0.0.0:0", true, true},
		{"no-port", true, false},
	} {
		if err := checkLoopback(tc.addr, tc.public); (err == nil) != tc.ok {
			t.Errorf("checkLoopback(%q, %v) = %v", tc.addr, tc.public, err)
		}
	}
}

func TestParseFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"--dir", "x"}, true},
		{[]string{"--generate", "10", "--hosts", "a.test,b.test", "--seed", "3", "--latency", "5ms"}, true},
		{[]string{"--generate", "10", "--dir", "x"}, false},
		{[]string{"--seed", "3"}, false},
		{[]string{"--generate", "-1"}, false},
		{[]string{"extra"}, false},
	} {
		if _, err := parseFlags(tc.args, io.Discard); (err == nil) != tc.ok {
			t.Errorf("parseFlags(%q) = %v", tc.args, err)
		}
	}
}

func TestBaseURL(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1:4123": "http://127.0.0.1:4123/",
		"0.0.0.0:80":     "http://127.0.0.1:80/",
		"[::]:80":        "http://[::1]:80/",
		"[::1]:9":        "http://[::1]:9/",
	} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := baseURL(a); got != want {
			t.Errorf("baseURL(%s) = %s, want %s", addr, got, want)
		}
	}
}
