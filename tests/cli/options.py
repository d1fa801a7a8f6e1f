"""Command-line options shared by the tests that run ``microts fit``."""

# A network small enough that a fit takes seconds: these tests check the command line.
TINY_MODEL = [
    f"--param={param}"
    for param in (
        "max_epochs=2",
        "d_model=8",
        "n_heads=2",
        "mlp_dim=8",
        "head_hidden=8",
        "pool_hidden=8",
        "random_state=0",
        "verbose=0",
    )
]
