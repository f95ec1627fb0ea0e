import sys

from evals.grading.score import main

sys.exit(main())
