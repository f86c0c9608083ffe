"""What an order of each kind may be (SPEC section 2, Order): statuses per kind, the push type and
the activity type each kind maps to."""

from __future__ import annotations

from core.errors import ErrorCode, InvalidInput, RuleViolation


# The problem codes of residents' orders.
OrderCode = ErrorCode.table("OrderCode", __name__, {
    RuleViolation: "product_disabled order_not_finished",
})


REQUEST_STATUSES = ("waiting", "in_progress", "paused", "approval", "needs_clarification", "done", "cancelled")
EVENT_STATUSES = ("planned", "ongoing", "finished", "cancelled")
STATUSES_OF_KIND = {"requests": REQUEST_STATUSES, "services": REQUEST_STATUSES, "events": EVENT_STATUSES}
# Active statuses (CRM-ACT-01 counters, the app's active group).
ACTIVE_STATUSES = ("waiting", "in_progress", "paused", "approval", "needs_clarification", "planned", "ongoing")

# The notification type a resident switches on or off for each kind (PUSH-02).
PUSH_TYPE_OF_KIND = {"requests": "requests", "services": "marketplace", "events": "events"}
# Event registrations are no activity type of CRM-ACT-01, so they stay out of the feed.
ACTIVITY_TYPE_OF_KIND = {"requests": "request", "services": "marketplace_order"}

STATUS_LABELS = {
    "waiting": "Ожидание", "in_progress": "В работе", "paused": "Приостановлено", "approval": "Согласование",
    "needs_clarification": "Требует уточнения", "done": "Выполнено", "cancelled": "Отменено",
    "planned": "Запланировано", "ongoing": "Идёт", "finished": "Завершено",
}
KIND_LABELS = {"requests": "Заявка", "services": "Заказ", "events": "Запись на мероприятие"}


def check_status(kind: str, status: str) -> str:
    """The status if orders of this kind can have it, else InvalidInput naming `status`."""
    allowed = STATUSES_OF_KIND[kind]
    if status not in allowed:
        raise InvalidInput.field("status", f"Для заказов вида «{kind}» допустимы статусы: {', '.join(allowed)}")
    return status


def change_push(kind: str, number: int, *, status: str | None, comment: str | None) -> tuple[str, str]:
    """Title and body of the push telling the client what changed."""
    title = f"{KIND_LABELS[kind]} №{number}"
    if status is not None:
        body = f"Новый статус: «{STATUS_LABELS[status]}»"
        return title, f"{body}. {comment}" if comment else body
    return title, f"Комментарий сотрудника: {comment}"
