import { createContext, useContext } from "react";

/** Shows a short confirmation ("Delivery disabled") in the shell's live region. */
export const FlashContext = createContext<(message: string) => void>(() => {});

export const useFlash = () => useContext(FlashContext);
