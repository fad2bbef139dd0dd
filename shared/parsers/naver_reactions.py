"""The discussion board's reactions endpoint: the real view and like counts of posts.

``GET stock.naver.com/api/community/discussion/posts/reactions?postIds=a,b`` answers a JSON array,
one object per post it knows: ``{postId, recommendCount, notRecommendCount, viewCount}`` (plus the
caller's own ``recommended``/``reactionId``, ignored). The by-item list's counts may read 0 and it
has no view count at all, so the crawler merges these into its ``BoardPost`` records.
"""
from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from shared.parsers.base import Refusal, Response, integer, load_json, register
from shared.records import NonNegInt, Record

_COUNTS = {"viewCount": "views", "recommendCount": "likes", "notRecommendCount": "dislikes"}


class PostReactions(Record):
    """The counts of one post. Not a stream: the crawler merges it into ``BoardPost`` and never
    publishes it (``topic_for`` refuses its stream name)."""

    stream: ClassVar[str] = "board_post_reactions"
    primary_key: ClassVar[tuple[str, ...]] = ("post_id",)

    post_id: str = Field(min_length=1)
    views: NonNegInt | None = None
    likes: NonNegInt | None = None
    dislikes: NonNegInt | None = None


@register("naver-discussion-reactions", (), "stock.naver.com discussion reactions -> view/like counts per post")
def parse_discussion_reactions(response: Response) -> list[PostReactions]:
    """Counts per post, in the body's order. A post the URL asked for but the body leaves out
    (deleted) is simply absent; an object without ``postId`` or with a non-number count is refused."""
    data = load_json(response)
    if isinstance(data, dict):
        keys = ", ".join(sorted(map(str, data))[:6])
        raise Refusal(f"expected a JSON array of reactions, got an object (keys: {keys})")
    if not isinstance(data, list):
        raise Refusal(f"expected a JSON array of reactions, got {type(data).__name__}")
    records = []
    for index, row in enumerate(data):
        if not isinstance(row, dict):
            raise Refusal(f"reaction {index} is not an object")
        post_id = row.get("postId")
        if post_id in (None, ""):
            raise Refusal(f"reaction {index} has no postId: changed layout")
        counts = {field: integer(row.get(key), what=f"reaction {index} {key}") for key, field in _COUNTS.items()}
        records.append(PostReactions(post_id=str(post_id), **counts))
    return records
