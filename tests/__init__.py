
from pathlib import Path

#: The checkout the tests run in: committed sample deliveries (data_samples/) live here.
REPO_ROOT = Path(__file__).resolve().parent.parent
