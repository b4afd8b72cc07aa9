# Sourced by test.sh and serve_class.sh: apt_ensure PATH=PACKAGE ... installs the Debian packages
# whose PATH is missing, in one apt-get call (as root, or through sudo).
apt_ensure() {
    local missing=() pair
    for pair in "$@"; do
        [ -x "${pair%%=*}" ] || missing+=("${pair#*=}")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    local sudo=""
    if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
    echo "+ $sudo apt-get update && $sudo apt-get install -y ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
