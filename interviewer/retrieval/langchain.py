"""A LangChain retriever over the guide index, for chains built with ``langchain-core``.

    from interviewer.retrieval.langchain import GuideRetriever
    docs = GuideRetriever(k=3, stage="features").invoke("point-in-time joins")

Each Document carries ``source``, ``heading``, ``stage`` and ``score`` in its metadata. Only
``langchain-core`` is used (``langchain-community`` is being sunset).
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from interviewer.retrieval.retriever import get_retriever


class GuideRetriever(BaseRetriever):
    k: int = 5
    stage: str | None = None
    index_dir: str | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **kwargs: Any
    ) -> list[Document]:
        k = int(kwargs.get("k", self.k))
        stage = kwargs.get("stage", self.stage)
        passages = get_retriever(self.index_dir).search(query, k=k, stage=stage)
        return [
            Document(
                page_content=p.text,
                metadata={
                    "source": p.source,
                    "heading": p.heading,
                    "stage": p.stage,
                    "score": p.score,
                },
            )
            for p in passages
        ]
