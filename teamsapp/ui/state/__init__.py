"""The shared auth state; every page state reaches it with `await self.get_state(AuthState)`."""
