"""Publishing views, one module per job; urls.py names them."""
