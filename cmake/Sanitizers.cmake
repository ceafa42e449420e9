# AddressSanitizer and UndefinedBehaviorSanitizer for the test build.
option(SFSYNC_SANITIZE "Build with AddressSanitizer and UBSan" OFF)

if(SFSYNC_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
