"""Guide ingestion: loaders, boilerplate cleaning, heading-aware chunking, the index pipeline.

from interviewer.ingest import ingest_paths, measure_ingest_throughput
"""

from interviewer.ingest.pipeline import IngestReport, ingest_paths
from interviewer.ingest.throughput import measure_ingest_throughput

__all__ = ["IngestReport", "ingest_paths", "measure_ingest_throughput"]
