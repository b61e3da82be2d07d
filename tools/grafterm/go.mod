module github.com/opsdeck/opsdeck/tools/grafterm

go 1.26.8

tool github.com/slok/grafterm/cmd/grafterm

require (
	github.com/JensRantil/graphite-client v0.0.0-20151206234601-d93bf4b72f5a // indirect
	github.com/alecthomas/kingpin v2.2.6+incompatible // indirect
	github.com/alecthomas/template v0.0.0-20160405071501-a0175ee3bccc // indirect
	github.com/alecthomas/units v0.0.0-20151022065526-2efee857e7cf // indirect
	github.com/json-iterator/go v1.1.6 // indirect
	github.com/lucasb-eyer/go-colorful v1.0.1 // indirect
	github.com/mattn/go-runewidth v0.0.4 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.1 // indirect
	github.com/mum4k/termdash v0.10.0 // indirect
	github.com/nsf/termbox-go v0.0.0-20190624072549-eeb6cd0a1762 // indirect
	github.com/oklog/run v1.0.0 // indirect
	github.com/prometheus/client_golang v1.0.0 // indirect
	github.com/prometheus/common v0.6.0 // indirect
	github.com/rs/zerolog v1.13.0 // indirect
	github.com/slok/grafterm v0.2.0 // indirect
)
