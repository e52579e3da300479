"""``gancurve lab``: train a GAN live in the browser, steer it between steps, save it as a run.

:mod:`gancurve.lab.session` steps the training session in its own thread and makes the frames;
:mod:`gancurve.lab.server` serves the page (``static/``: plain HTML, CSS and JavaScript drawing on
``<canvas>``, nothing vendored, no build step) and its WebSocket.
"""
