module leakhound.bench/dumpgen

go 1.19
