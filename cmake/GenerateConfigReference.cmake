# cmake -DDAEMON=ikemeshd -DPLUGIN_DIR=dir -DOUTPUT=file -P GenerateConfigReference.cmake
# Writes ikemesh.conf(5) as the daemon prints it for the plugins in PLUGIN_DIR.
execute_process(COMMAND "${DAEMON}" --config-reference --plugindir "${PLUGIN_DIR}"
                OUTPUT_FILE "${OUTPUT}.tmp" ERROR_VARIABLE problems RESULT_VARIABLE status)
if(NOT status EQUAL 0)
  message(FATAL_ERROR "${DAEMON} --config-reference failed (${status}): ${problems}")
endif()
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
