"""Dramatiq actors. They take ids (delivery is at-least-once) and only call services.

Queues: `stylize` (previews, GPU when present), `render` (final tiles, GPU when present),
`vectorize` (CPU), `train_style_model` (a style's feed-forward preview model, GPU when present). Time
limits and retries are per queue; backoff is Dramatiq's exponential one.

The order-line steps report to the fulfilment workflow by actor name, through Dramatiq's own
callbacks: `on_success` when a step returns, `on_retry_exhausted` when it has failed for good. So
no step imports the workflow, and the workflow alone decides what happens next."""

import dramatiq

from marketplace.jobs import STEP_DONE, STEP_EXHAUSTED

MINUTE_MS = 60_000


@dramatiq.actor(
    queue_name="stylize", max_retries=3, min_backoff=2_000, max_backoff=60_000, time_limit=10 * MINUTE_MS
)
def stylize(personalization_id: int) -> None:
    from stylization import services

    services.personalization_render_preview(personalization_id=personalization_id)


@dramatiq.actor(
    queue_name="render",
    max_retries=3,
    min_backoff=5_000,
    max_backoff=300_000,
    time_limit=60 * MINUTE_MS,
    on_success=STEP_DONE,
    on_retry_exhausted=STEP_EXHAUSTED,
)
def render(order_line_id: int) -> None:
    from stylization import steps

    steps.order_line_render(order_line_id=order_line_id)


@dramatiq.actor(
    queue_name="vectorize",
    max_retries=3,
    min_backoff=5_000,
    max_backoff=300_000,
    time_limit=20 * MINUTE_MS,
    on_success=STEP_DONE,
    on_retry_exhausted=STEP_EXHAUSTED,
)
def vectorize(order_line_id: int) -> None:
    from stylization import steps

    steps.order_line_vectorize(order_line_id=order_line_id)


# Its own queue, so GPU workers can take training; an hour covers a CPU training with room.
@dramatiq.actor(
    queue_name="train_style_model",
    max_retries=3,
    min_backoff=5_000,
    max_backoff=300_000,
    time_limit=60 * MINUTE_MS,
)
def train_style_model(style_model_id: int) -> None:
    from stylization import services

    services.style_model_train(style_model_id=style_model_id)
