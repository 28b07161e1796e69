# Shared by SAM's makefile builds (layers/*/Makefile, etl/*/Makefile, functions/docs/Makefile)
# and the top Makefile: installs one lambda-* dependency group of uv.lock for the python3.13
# Lambda runtime (arm64 by default) from any machine (no Docker), then strips what Lambda never
# loads so every function stays under the 250 MB unzipped limit.

# A python3.13: the one on PATH if it runs (a pyenv shim can exist and fail with "command not
# found"), else one installed by pyenv (the newest 3.13.x), else none (the builds stop and say
# so). `make build` and the build test put the project's .venv/bin first on PATH, so its
# interpreter is found first.
PYTHON313 := $(shell for candidate in "$$(command -v python3.13)" \
	$$(ls -d "$(HOME)"/.pyenv/versions/3.13*/bin/python3.13 2>/dev/null | sort -rV) \
	"$$(pyenv prefix 3.13 2>/dev/null | head -n 1)/bin/python3.13"; do \
	"$$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' >/dev/null 2>&1 \
	&& { echo "$$candidate"; break; }; done)
PYTHON313_MISSING := Python 3.13 is required and none was found (python3.13 on PATH, or pyenv's \
	~/.pyenv/versions/3.13.x): install it (pyenv install 3.13, or the python3.13 package of your \
	system), or name one with PYTHON=/path/to/python3.13

LAMBDA_PYTHON ?= $(or $(PYTHON),$(PYTHON313))

# The Lambda architecture the wheels are for: the template's arm64 (Graviton) by default;
# LAMBDA_ARCH=x86_64 builds for an x86_64 machine, so its tests can import the build output.
# SAM's --cached does not know this variable: build another architecture into a --build-dir
# and --cache-dir of its own (tests/infrastructure/test_build_package.py does).
LAMBDA_ARCH ?= aarch64
# python3.13 runs on Amazon Linux 2023 (glibc 2.34): any manylinux wheel up to glibc 2.34 runs
# there. pip matches --platform tags literally (it does not widen manylinux_2_28 to older
# tags), so every glibc from 2.34 down to 2.17 (manylinux2014) is named, newest preferred:
# pydantic-core, and psycopg2-binary for x86_64, publish only manylinux2014 wheels.
LAMBDA_GLIBC_MINORS := 34 33 32 31 30 29 28 27 26 25 24 23 22 21 20 19 18 17
LAMBDA_PLATFORMS := $(foreach minor,$(LAMBDA_GLIBC_MINORS),--platform manylinux_2_$(minor)_$(LAMBDA_ARCH)) \
	--platform manylinux2014_$(LAMBDA_ARCH)

PIP_LAMBDA_FLAGS := --quiet --disable-pip-version-check --no-compile --upgrade \
	--only-binary=:all: $(LAMBDA_PLATFORMS) --implementation cp --python-version 3.13 \
	--require-hashes --no-deps

# The project root, whose uv.lock every build installs from, and the uv that reads it (the
# development venv's: `make build` puts .venv/bin first on PATH).
PROJECT_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
UV ?= uv

# numpy.testing imports numpy/_core/tests/_natype.py, so that tests folder stays.
# Provided by the Lambda runtime; pulled in only as dependencies of other packages.
RUNTIME_PROVIDED := boto3 botocore s3transfer jmespath dateutil six.py urllib3 \
	boto3-* botocore-* s3transfer-* jmespath-* python_dateutil-* six-* urllib3-*

# pip_install(dependency group, target directory): the group's whole closure exactly as uv.lock
# pins it, every file checked against the lock's hashes; nothing is resolved here.
define pip_install
	@"$(or $(LAMBDA_PYTHON),false)" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' \
		|| { echo "$(PYTHON313_MISSING) [LAMBDA_PYTHON=$(LAMBDA_PYTHON)]" >&2; exit 1; }
	"$(UV)" export --quiet --frozen --project "$(PROJECT_ROOT)" --only-group "$(1)" \
		--no-emit-project --format requirements-txt \
		| "$(LAMBDA_PYTHON)" -m pip install $(PIP_LAMBDA_FLAGS) --target "$(2)" -r /dev/stdin
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
# unchecked-hash: the runtime trusts the .pyc files whatever the files' timestamps. The same
# minor version as the runtime's (3.13) writes them, or the runtime ignores them.
define compile_bytecode
	"$(LAMBDA_PYTHON)" -m compileall -q -j 0 --invalidation-mode unchecked-hash "$(1)"
endef
