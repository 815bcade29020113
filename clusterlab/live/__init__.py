"""Live canvas: WebSocket consumers, edit broadcasts, presence, and the editor pages."""
