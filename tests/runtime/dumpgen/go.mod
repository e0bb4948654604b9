module leakhound.test/dumpgen

go 1.19
