# git daemon (Debian git), client speaks first; client: git ls-remote / clone.
srv_gitdaemon_pkgs() { echo git; }
srv_gitdaemon_port() { echo 9418; }
srv_gitdaemon_install() { lab_install git; }

srv_gitdaemon_start() {
  local addr=$1 port=$2 d=$LAB_WORK/gitdaemon
  mkdir -p "$d"
  if [ ! -d "$d/repos/lab.git" ]; then
    git init -q --bare "$d/repos/lab.git"
    git -C "$d" init -q work
    git -C "$d/work" -c user.name=lab -c user.email=lab@lab.test \
      commit -q --allow-empty -m "lab commit"
    git -C "$d/work" push -q "$d/repos/lab.git" HEAD:refs/heads/main
  fi
  lab_bg gitdaemon git daemon --reuseaddr --listen="$addr" --port="$port" \
    --base-path="$d/repos" --export-all "$d/repos"
  lab_wait_port "$addr" "$port"
}
srv_gitdaemon_client() {
  local url="git://$1:$2/lab.git"
  case $1 in *:*) url="git://[$1]:$2/lab.git" ;; esac
  git ls-remote "$url" >/dev/null
}
