"""The protobuf bodies of the stub runtime's HTTP API; `runtime_pb2` is generated, see README.md."""
