// Package alertstrip is the one-line strip of firing alerts under the header.
package alertstrip
