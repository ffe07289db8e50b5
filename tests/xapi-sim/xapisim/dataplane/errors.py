"""The one error type of the data plane: a XAPI error code with string parameters,
raised by format readers and handlers and stored in the task by the HTTP layer."""


class DataplaneError(Exception):
    def __init__(self, code, *params):
        super().__init__(code, *params)
        self.code = code
        self.params = [str(p) for p in params]

    def error_info(self):
        return [self.code] + self.params
