"""Form checking with the same pydantic schemas as the REST API, one field at a time or whole."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from typing import Any, ClassVar, TypeVar

import reflex as rx
from pydantic import BaseModel, ValidationError
from reflex.event import EventSpec

from teamsapp.core.errors import DomainError
from teamsapp.ui.state.auth import failure

ModelT = TypeVar("ModelT", bound=BaseModel)
VALUE_MAX = 10_000

Action = Callable[[], Awaitable[list[EventSpec]]]


def _message(error: Mapping[str, Any]) -> str:
    if error.get("type") == "missing":
        return "This field is required."
    message = str(error.get("msg", "Invalid value."))
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    return message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")


def errors_of(error: ValidationError) -> dict[str, str]:
    """The first message for each top-level field of a validation error."""
    found: dict[str, str] = {}
    for item in error.errors():
        field = str(item["loc"][0]) if item.get("loc") else ""
        found.setdefault(field, _message(item))
    return found


def clean(values: Mapping[str, Any], *, optional: Iterable[str] = ()) -> dict[str, Any]:
    """Form values as a schema takes them: blank optional fields left out."""
    skip = set(optional)
    return {
        name: value
        for name, value in values.items()
        if not (name in skip and (value is None or (isinstance(value, str) and not value.strip())))
    }


def check_field(schema: type[BaseModel], name: str, value: Any, *, optional: Iterable[str] = ()) -> str:
    """The message for one field as the user types ("" when it is fine); other fields are not judged."""
    if name not in schema.model_fields:
        return ""
    if isinstance(value, str) and len(value) > VALUE_MAX:
        value = value[:VALUE_MAX]
    values = clean({name: value}, optional=optional)
    if name not in values:
        return ""
    try:
        schema.model_validate(values)
    except ValidationError as error:
        return errors_of(error).get(name, "")
    return ""


def parse(
    schema: type[ModelT], values: Mapping[str, Any], *, optional: Iterable[str] = ()
) -> tuple[ModelT | None, dict[str, str]]:
    """The validated schema, or None with the message for each bad field (unknown keys are dropped)."""
    if not isinstance(values, Mapping):
        return None, {"": "The form could not be read."}
    known = {name: value for name, value in values.items() if name in schema.model_fields}
    try:
        return schema.model_validate(clean(known, optional=optional)), {}
    except ValidationError as error:
        return None, errors_of(error)


class FormMixin(rx.State, mixin=True):
    """A form's field messages and its running flag; the page names its schema in `_schema`.

    A refusal about no field of the form is a toast (or the way to log in) unless `_refused` says otherwise.
    """

    errors: rx.Field[dict[str, str]] = rx.field(default_factory=dict)
    running: rx.Field[bool] = rx.field(False)

    _schema: ClassVar[type[BaseModel] | None] = None
    _optional: ClassVar[tuple[str, ...]] = ()

    @rx.event
    async def check(self, name: str, value: str) -> None:
        """Check one field as the user types."""
        if self._schema is None:
            return
        message = check_field(self._schema, str(name), value, optional=self._optional)
        errors = {key: text for key, text in self.errors.items() if key != name}
        if message:
            errors[str(name)] = message
        self.errors = errors

    def _parse(self, values: Mapping[str, Any], schema: type[ModelT]) -> ModelT | None:
        data, errors = parse(schema, values, optional=self._optional)
        self.errors = errors
        return data

    def _field_error(self, error: DomainError, *, default: str = "") -> bool:
        """Show a server error next to its field; False when it is about no field of this form."""
        field = error.field or default
        if not field:
            return False
        self.errors = {**self.errors, field: error.detail}
        return True

    def _reset_form(self) -> None:
        self.errors = {}
        self.running = False

    async def _refused(self, error: DomainError) -> EventSpec | None:
        return await failure(self, error)

    async def _submit(self, action: Action, *, by_field: bool = True) -> AsyncIterator[EventSpec | None]:
        """Run the form's action with the spinner on, then yield its events or show why it was refused.

        `by_field=False` hands every refusal to `_refused`, even one that names a field.
        """
        self.running = True
        yield None
        try:
            events = await action()
        except DomainError as error:
            self.running = False
            if not (by_field and self._field_error(error)):
                yield await self._refused(error)
            return
        self.running = False
        for event in events:
            yield event


class PublicFormMixin(FormMixin, mixin=True):
    """A form on a public page: a refusal about no field is shown above the form, in `message`."""

    message: rx.Field[str] = rx.field("")

    def _reset_form(self) -> None:
        super()._reset_form()
        self.message = ""

    async def _refused(self, error: DomainError) -> EventSpec | None:
        self.message = error.detail
        return None

    def _submit(self, action: Action, *, by_field: bool = True) -> AsyncIterator[EventSpec | None]:
        self.message = ""
        return super()._submit(action, by_field=by_field)
