module example.com/leakhound-examples

go 1.21
