//go:build race

package main

// raceEnabled makes the subprocess tests build the command with the race detector too.
const raceEnabled = true
