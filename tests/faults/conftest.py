from tests.engines.test_openai_faults import engine_for, server, tokenizer  # noqa: F401  (the fault server)
