import pytest
import torch


@pytest.fixture
def one_thread():
    """Tiny tensors: one intra-op thread is fastest (and far faster on a loaded machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
