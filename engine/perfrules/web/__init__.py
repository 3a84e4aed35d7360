"""perfrules serve: the bureau's intranet service (FastAPI, uvicorn, Jinja2, SQLite).

    app.py        the app: settings, guards (upload limit, token), routers, lifespan
    api.py        the HTTP API under /api (JSON in, the command line's JSON out)
    pages.py      the browser pages (templates/, static/): 评分, 批量, 记录, 评分办法
    pool.py       the worker processes evaluation runs in, off the event loop
    jobs.py       what a worker does with one submission (through service)
    store.py      the stored submissions (SQLite; SQLAlchemy for a database URL)
    describe.py   a policy as data for forms and pages
    batch_view.py a district batch as one JSON document
    errors.py     the error answers: {"ok": false, "problems": [...]}

A front end like cli and batch: it calls service and report, nothing calls it.
"""
