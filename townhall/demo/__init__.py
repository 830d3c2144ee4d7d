"""Sample content we wrote: a fictional town's news site, for `townhall demo` and the tests."""
