# SPDX-License-Identifier: MIT
# Helpers that the benchmark scripts share. A script sources this file
# after setting $here (the repository), $build (the build directory) and
# $work (its temporary directory).

# One line naming the machine: cores, CPU model and memory.
machine() {
    local cpu cores mem
    cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    cores=$(grep -c '^processor' /proc/cpuinfo)
    mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
    echo "$cores cores ($cpu), $mem of memory"
}

# The CMake build type of $build.
build_type() {
    sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$build/CMakeCache.txt" 2>/dev/null
}

# Replace the part of docs/benchmarks.md between the markers of the script
# named $1 (such as bench/run.sh) with the section in $2; the other
# sections stay as they are.
write_docs() {
    local doc=$here/docs/benchmarks.md begin end
    begin="<!-- $1 writes from here -->"
    end="<!-- $1 writes up to here -->"
    if ! grep -qF "$begin" "$doc" || ! grep -qF "$end" "$doc"; then
        echo "$(basename "$1"): '$doc' lacks the markers '$begin' and" \
             "'$end'; put them back around the section this script writes" >&2
        return 1
    fi
    awk -v begin="$begin" -v end="$end" -v section="$2" '
        $0 == begin { print; while ((getline line < section) > 0) print line
                      print ""; skip = 1; next }
        $0 == end { skip = 0 }
        !skip { print }' "$doc" >"$work/doc.md" &&
        cat "$work/doc.md" >"$doc"
}
