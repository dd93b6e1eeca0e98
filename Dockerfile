# syntax=docker/dockerfile:1
# SNoJoE inference service.
#   GPU hosts (default target):  docker build -t snojoe-service:gpu .
#   CPU-only hosts:              docker build --target runtime-cpu -t snojoe-service:cpu .
# Base images are build arguments, so a mirror or a locally made image can stand in for each.
# ONNX Runtime GPU 1.31 links CUDA 13 and loads cuDNN 9: the GPU image must stay on CUDA 13.x.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0-noble
ARG ASPNET_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0-noble
ARG CUDA_IMAGE=nvidia/cuda:13.0.2-cudnn-runtime-ubuntu24.04
ARG CPU_IMAGE=mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled

# ---------------------------------------------------------------------------------------------
FROM ${SDK_IMAGE} AS build
WORKDIR /src
# Restore first, from the project files only, so the package layer survives source edits.
COPY global.json Directory.Build.props Directory.Build.targets Directory.Packages.props ./
COPY src/SNoJoE.Core/SNoJoE.Core.csproj src/SNoJoE.Core/
COPY src/SNoJoE.Service/SNoJoE.Service.csproj src/SNoJoE.Service/
RUN dotnet restore src/SNoJoE.Service/SNoJoE.Service.csproj -r linux-x64
COPY src/SNoJoE.Core/ src/SNoJoE.Core/
COPY src/SNoJoE.Service/ src/SNoJoE.Service/
# ONNX Runtime's Windows binaries are copied whatever the runtime identifier (about 215 MB): drop them.
# The CPU image also drops the CUDA and TensorRT providers (about 285 MB); Inference:Provider is cpu there.
RUN dotnet publish src/SNoJoE.Service/SNoJoE.Service.csproj -c Release -r linux-x64 --self-contained false --no-restore --disable-build-servers -o /out/gpu \
 && rm /out/gpu/onnxruntime*.dll \
 && cp -a /out/gpu /out/cpu \
 && rm /out/cpu/libonnxruntime_providers_cuda.so /out/cpu/libonnxruntime_providers_tensorrt.so
# The bundled model: appsettings.json's Model:Path (models/snojoe-resnet18-vocsynth.onnx) resolves to
# /app/models/ in the image. Mount a folder over /app/models (read-only) to serve another model.
COPY models/snojoe-resnet18-vocsynth.onnx models/snojoe-resnet18-vocsynth.json /out/models/

# ---------------------------------------------------------------------------------------------
# Source of the ASP.NET Core runtime for the CUDA image.
FROM ${ASPNET_IMAGE} AS aspnet

# ---------------------------------------------------------------------------------------------
# CPU-only hosts: chiseled Ubuntu (no shell, no package manager) with the ASP.NET Core runtime.
FROM ${CPU_IMAGE} AS runtime-cpu
ENV ASPNETCORE_HTTP_PORTS=8080 \
    TMPDIR=/tmp \
    Inference__Provider=cpu
WORKDIR /app
COPY --from=build /out/cpu/ ./
COPY --from=build /out/models/ ./models/
# The only place the process writes (ASP.NET Core's buffered uploads, .NET's diagnostics socket):
# the root file system can be read-only (docker run --read-only; readOnlyRootFilesystem in k8s).
VOLUME ["/tmp"]
USER 1654
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 CMD ["dotnet", "/app/SNoJoE.Service.dll", "--probe"]
ENTRYPOINT ["dotnet", "/app/SNoJoE.Service.dll"]

# ---------------------------------------------------------------------------------------------
# GPU hosts (NVIDIA driver >= 580, NVIDIA Container Toolkit): CUDA 13 + cuDNN 9 runtime on
# Ubuntu 24.04 with the ASP.NET Core 10 runtime added. Globalization is invariant
# (Directory.Build.props), so ICU is not needed.
FROM ${CUDA_IMAGE} AS runtime-gpu
COPY --from=aspnet /usr/share/dotnet /usr/share/dotnet
# .NET needs OpenSSL (SHA-256 of the model and API keys); install it only if the base image lacks it.
RUN if ! ldconfig -p | grep -q 'libssl\.so\.3'; then \
      apt-get update && apt-get install -y --no-install-recommends libssl3t64 ca-certificates && rm -rf /var/lib/apt/lists/*; \
    fi \
 && ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
 && groupadd --gid 1654 app \
 && useradd --uid 1654 --gid 1654 --no-create-home --home-dir /app --shell /usr/sbin/nologin app
ENV ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_RUNNING_IN_CONTAINER=true \
    TMPDIR=/tmp \
    CUDA_CACHE_PATH=/tmp/cuda-cache \
    Inference__Provider=auto
WORKDIR /app
COPY --from=build /out/gpu/ ./
COPY --from=build /out/models/ ./models/
VOLUME ["/tmp"]
USER 1654
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=120s --retries=3 CMD ["dotnet", "/app/SNoJoE.Service.dll", "--probe"]
ENTRYPOINT ["dotnet", "/app/SNoJoE.Service.dll"]
