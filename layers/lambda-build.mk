# Shared by SAM's makefile builds (layers/*/Makefile, etl/*/Makefile): installs a requirements
# file for the python3.11 x86_64 Lambda runtime from any machine (no Docker), then strips what
# Lambda never loads so every function stays under the 250 MB unzipped limit.

LAMBDA_PYTHON ?= $(shell command -v python3.11 || command -v python3)

# The python3.11 runtime runs on Amazon Linux 2 (glibc 2.26): manylinux2014 wheels only.
PIP_LAMBDA_FLAGS := --quiet --disable-pip-version-check --no-compile --upgrade \
	--only-binary=:all: --platform manylinux2014_x86_64 --implementation cp --python-version 3.11

# numpy.testing imports numpy/_core/tests/_natype.py, so that tests folder stays.
# Provided by the Lambda runtime; pulled in only as dependencies of other packages.
RUNTIME_PROVIDED := boto3 botocore s3transfer jmespath dateutil six.py urllib3 \
	boto3-* botocore-* s3transfer-* jmespath-* python_dateutil-* six-* urllib3-*

# pip_install(requirements file, target directory)
define pip_install
	$(LAMBDA_PYTHON) -m pip install $(PIP_LAMBDA_FLAGS) --target "$(2)" -r "$(1)"
	cd "$(2)" && rm -rf bin $(RUNTIME_PROVIDED)
	find "$(2)" -depth -type d \( -name __pycache__ -o -name tests \) \
		-not -path '*/numpy/_core/tests' -exec rm -rf {} +
	find "$(2)" -path '*.dist-info/*' \( -name RECORD -o -name INSTALLER -o -name REQUESTED \
		-o -name direct_url.json \) -delete
	find "$(2)" -type f \( -name '*.pyx' -o -name '*.pxd' -o -name '*.pyi' -o -name '*.h' \
		-o -name '*.hpp' -o -name '*.c' -o -name '*.cc' -o -name '*.cpp' \) -delete
	$(call compile_bytecode,$(2))
endef

# copy_sources(package directories, target directory): the code without caches (pip_install,
# which every build runs after it, compiles the whole target).
define copy_sources
	mkdir -p "$(2)"
	cp -r $(1) "$(2)/"
	find "$(2)" -depth -type d -name __pycache__ -exec rm -rf {} +
endef

# compile_bytecode(target directory): Lambda's code folders are read-only, so without shipped
# bytecode every cold start compiles FastAPI and pydantic again (about 1.3 s more, measured).
# unchecked-hash: the runtime trusts the .pyc files whatever the files' timestamps.
define compile_bytecode
	$(LAMBDA_PYTHON) -m compileall -q -j 0 --invalidation-mode unchecked-hash "$(1)"
endef
