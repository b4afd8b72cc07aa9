# One RNN Lab replica. compose.yaml runs N of them behind nginx (deploy/nginx.conf.template);
# on Kubernetes, a Deployment of this image behind an ingress with cookie affinity (README).
FROM python:3.11-slim-bookworm

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# One BLAS thread: small matrices, many sessions; OpenBLAS threads fighting over busy cores cost
# 25x on a QR decomposition (bench/RESULTS.md).
ENV OPENBLAS_NUM_THREADS=1
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY .streamlit .streamlit
COPY app.py .
COPY pages pages
COPY ui ui
COPY rnn_core rnn_core
# Served at /app/static: the vendored plotly.js bundle (ui/runtime/chart.py) and the tour (ui/classroom/tour.py).
COPY static static

RUN useradd --create-home --uid 10001 rnnlab
USER rnnlab
EXPOSE 8501
# Set the same STREAMLIT_SERVER_COOKIE_SECRET on every replica (compose.yaml requires it).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=2)"
CMD ["python", "-m", "streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501", \
     "--server.headless", "true", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"]
